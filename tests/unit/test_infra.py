"""Infrastructure as code: the Bicep parses, and it agrees with photogate's settings and names.

No Bicep compiler runs here (no network to fetch one), so the files are parsed with
pycep-parser, a grammar-based Bicep parser, and checked for what a deployment would otherwise
only reveal on Azure: wiring between modules, setting names, role scopes and host.json values.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from photogate.messages import NOTIFY_QUEUE, SCAN_QUEUE, poison_queue
from photogate.ports.blobs import Container
from photogate.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
BICEP_FILES = sorted(INFRA.rglob("*.bicep"))
HOST_JSON = ROOT / "host.json"
DEPLOY_DOC = ROOT / "docs" / "deploy-azure.md"

ROLE_IDS = {
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
    "974c5e8b-45b9-4653-ba55-5f855dd0fb88": "Storage Queue Data Contributor",
    "db58b8e5-c6ad-4a2a-8342-4190687cbf4a": "Storage Blob Delegator",
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": "Key Vault Secrets Officer",
    "3913510d-42f4-4e42-8a64-420c390055eb": "Monitoring Metrics Publisher",
}
# The narrowest scope each of the app identity's roles may have (access.bicep).
APP_ROLE_SCOPES = {
    "Storage Blob Data Contributor": "Microsoft.Storage/storageAccounts/blobServices/containers",
    "Storage Queue Data Contributor": "Microsoft.Storage/storageAccounts/queueServices/queues",
    "Storage Blob Delegator": "Microsoft.Storage/storageAccounts",
    "Storage Blob Data Owner": "Microsoft.Storage/storageAccounts",
    "Key Vault Secrets User": "Microsoft.KeyVault/vaults",
    "Monitoring Metrics Publisher": "Microsoft.Insights/components",
}
ROLE_ASSIGNMENT = "Microsoft.Authorization/roleAssignments"

# Values an Azure deployment would put into app-settings.bicep's parameters.
SAMPLE_PARAMETERS = {
    "hostAccountName": "photogatehostabc12345",
    "blobEndpoint": "https://photogatedataabc12345.blob.core.windows.net/",
    "queueEndpoint": "https://photogatedataabc12345.queue.core.windows.net/",
    "insightsConnectionString": "InstrumentationKey=00000000-0000-0000-0000-000000000000",
    "databaseUrlReference": "postgresql+psycopg://photogate:pw@pg.example:5432/photogate",
    "scannerApiKeyReference": "scanner-key",
    "smtpPasswordReference": "smtp-secret",
    "consoleSecretKeyReference": "k" * 48,
    "consoleUsersReference": "[]",
    "scannerUrl": "https://scanner.example",
    "smtpUsername": "photogate-acs|00000000-0000-0000-0000-000000000000|tenant",
    "sender": "Tailwind Traders <DoNotReply@example.azurecomm.net>",
    "shopUrl": "https://photogate-func.azurewebsites.net",
}


def _parse_all() -> dict[str, dict[str, Any]]:
    try:
        from pycep import BicepParser
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("pycep-parser is not installed: pip install -e '.[dev]'")
    parser = BicepParser()
    return {str(path.relative_to(INFRA)): parser.parse(file_path=path) for path in BICEP_FILES}


@pytest.fixture(scope="module")
def bicep() -> dict[str, dict[str, Any]]:
    """Every .bicep file under infra/, parsed, keyed by its path relative to infra/."""
    return _parse_all()


def env_names(model: type[BaseModel], prefix: str = "PHOTOGATE_") -> set[str]:
    """Every environment variable the settings model reads: fields, and nested groups with __."""
    names: set[str] = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= env_names(annotation, f"{prefix}{name.upper()}__")
        else:
            names.add(f"{prefix}{name.upper()}")
    return names


def _body(resource: dict[str, Any]) -> dict[str, Any]:
    """A resource's properties, inside its loop or condition if it has one."""
    config: dict[str, Any] = resource["config"]
    return config["config"] if "loop_type" in config or "condition" in config else config


def _resources(parsed: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {n: r for n, r in parsed.get("resources", {}).items() if r["type"] == type_}


def _app_settings(bicep: dict[str, dict[str, Any]]) -> dict[str, Any]:
    parsed = bicep["modules/app-settings.bicep"]
    (resource,) = _resources(parsed, "Microsoft.Web/sites/config").values()
    properties: dict[str, Any] = _body(resource)["properties"]
    return properties


def _variable(parsed: dict[str, Any], name: str) -> Any:
    return parsed["variables"][name]["value"]


def _deployed_value(bicep: dict[str, dict[str, Any]], setting: str) -> Any:
    """The value app-settings.bicep gives `setting`: a literal, or the variable it names."""
    value = _app_settings(bicep)[setting]
    variables = bicep["modules/app-settings.bicep"].get("variables", {})
    return variables[value]["value"] if value in variables else value


def _host_json() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(HOST_JSON.read_text())
    return data


def _scope_symbol(body: dict[str, Any]) -> str:
    """The symbol a role assignment is scoped to: `vault`, or `containers` for `containers[i]`."""
    scope = body["scope"]
    if isinstance(scope, str):
        return scope
    return str(scope["operator"]["operands"]["operand_1"])


def _role_name(parsed: dict[str, Any], body: dict[str, Any]) -> str:
    role = body["properties"]["roleDefinitionId"]["function"]["parameters"]["resource_name_1"]
    return ROLE_IDS[_variable(parsed, role)]


@pytest.mark.parametrize("path", BICEP_FILES, ids=lambda p: str(p.relative_to(INFRA)))
def test_every_bicep_file_parses_into_declarations(
    path: Path, bicep: dict[str, dict[str, Any]]
) -> None:
    """Each Bicep file parses with a Bicep grammar and declares resources or modules."""
    parsed = bicep[str(path.relative_to(INFRA))]
    assert parsed.get("resources") or parsed.get("modules")


def test_every_resource_names_a_type_and_an_api_version(
    bicep: dict[str, dict[str, Any]],
) -> None:
    """Every resource is declared as 'Microsoft.Provider/type@yyyy-mm-dd'."""
    for path, parsed in bicep.items():
        for name, resource in parsed.get("resources", {}).items():
            where = f"{path}: {name}"
            assert re.fullmatch(r"Microsoft\.\w+(/\w+)+", resource["type"]), where
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}(-preview)?", resource["api_version"]), where


def test_modules_get_exactly_the_parameters_they_declare(
    bicep: dict[str, dict[str, Any]],
) -> None:
    """main.bicep passes each module every required parameter and no unknown one."""
    for symbol, module in bicep["main.bicep"]["modules"].items():
        path = module["detail"]["path"]
        assert (INFRA / path).is_file(), f"module {symbol}: no {path}"
        declared = bicep[path]["parameters"]
        required = {name for name, p in declared.items() if p["default"] is None}
        passed = set(module["config"]["params"])
        assert passed <= set(declared), f"{symbol} gets unknown {passed - set(declared)}"
        assert required <= passed, f"{symbol} misses {required - passed}"


def test_module_outputs_used_in_main_exist(bicep: dict[str, dict[str, Any]]) -> None:
    """Every `module.outputs.x` that main.bicep reads is an output of that module."""
    modules = bicep["main.bicep"]["modules"]
    used = re.findall(r"\b(\w+)\.outputs\.(\w+)", (INFRA / "main.bicep").read_text())
    assert used
    for symbol, output in used:
        outputs = bicep[modules[symbol]["detail"]["path"]].get("outputs", {})
        assert output in outputs, f"{symbol} has no output {output}"


def test_app_settings_are_real_photogate_settings(bicep: dict[str, dict[str, Any]]) -> None:
    """Every PHOTOGATE_ app setting is a variable photogate.settings.Settings reads."""
    names = {name for name in _app_settings(bicep) if name.startswith("PHOTOGATE_")}
    assert names, "no PHOTOGATE_ settings found"
    assert names <= env_names(Settings), f"not settings: {sorted(names - env_names(Settings))}"


def test_app_settings_start_photogate_on_azure(
    bicep: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch, clean_env: None
) -> None:
    """With the deployed settings photogate loads as the Azure backend with SMTP mail."""
    parameters = bicep["modules/app-settings.bicep"]["parameters"]
    for name in _app_settings(bicep):
        if name.startswith("PHOTOGATE_"):
            value = _deployed_value(bicep, name)
            value = SAMPLE_PARAMETERS[value] if value in parameters else value
            monkeypatch.setenv(name, str(value))
    settings = load_settings()
    assert settings.backend == "azure"
    assert settings.azure.missing_variables() == []
    assert settings.mail.backend == "smtp"
    assert settings.mail.smtp_host == "smtp.azurecomm.net"
    assert settings.mail.smtp_port == 587


def test_secrets_reach_the_app_only_as_key_vault_references(
    bicep: dict[str, dict[str, Any]],
) -> None:
    """Secret settings come from Key Vault references built by the key-vault module."""
    secret_settings = {
        "PHOTOGATE_DATABASE_URL",
        "PHOTOGATE_SCANNER__API_KEY",
        "PHOTOGATE_MAIL__SMTP_PASSWORD",
        "PHOTOGATE_CONSOLE__SECRET_KEY",
        "PHOTOGATE_CONSOLE__USERS",
    }
    settings = _app_settings(bicep)
    vault_outputs = bicep["modules/key-vault.bicep"]["outputs"]
    for name in secret_settings:
        reference = settings[name]
        assert reference.endswith("Reference"), name
        assert vault_outputs[reference]["value"].startswith("@Microsoft.KeyVault(SecretUri="), name


def test_host_json_gives_up_when_photogate_does(
    bicep: dict[str, dict[str, Any]], clean_env: None
) -> None:
    """host.json's maxDequeueCount is one more than photogate's max_attempts, as deployed and by
    default: the last attempt dying (a timeout, a crash) still leaves a delivery that settles it.
    """
    queues = _host_json()["extensions"]["queues"]
    deployed = int(_deployed_value(bicep, "PHOTOGATE_QUEUE__MAX_ATTEMPTS"))
    assert queues["maxDequeueCount"] == Settings().queue.max_attempts + 1 == deployed + 1


def test_host_json_holds_no_more_scans_than_the_limiter_lets_through(
    bicep: dict[str, dict[str, Any]],
) -> None:
    """An instance holds at most batchSize + newBatchThreshold messages: the limiter's ceiling."""
    queues = _host_json()["extensions"]["queues"]
    ceiling = int(_deployed_value(bicep, "PHOTOGATE_SCANNER__MAX_IN_FLIGHT"))
    assert queues["batchSize"] + queues["newBatchThreshold"] == ceiling
    assert queues["batchSize"] >= 1


def test_host_json_ends_an_execution_before_the_reconciler_calls_it_lost(
    clean_env: None,
) -> None:
    """functionTimeout is shorter than reconcile_after_s: a running scan is never re-queued."""
    hours, minutes, seconds = map(int, _host_json()["functionTimeout"].split(":"))
    timeout_s = hours * 3600 + minutes * 60 + seconds
    assert timeout_s < Settings().queue.reconcile_after_s


def test_host_json_serves_the_app_from_the_site_root() -> None:
    """host.json is version 2.0, with no /api prefix (the ASGI app routes itself) and bundle 4."""
    host = _host_json()
    assert host["version"] == "2.0"
    assert host["extensions"]["http"]["routePrefix"] == ""
    assert host["extensionBundle"]["version"].startswith("[4.")
    assert re.fullmatch(r"\d\d:\d\d:\d\d", host["functionTimeout"])


def test_role_assignments_use_built_in_role_ids(bicep: dict[str, dict[str, Any]]) -> None:
    """Every role id variable names the built-in role its comment says, across all modules."""
    found = 0
    for parsed in bicep.values():
        for name, variable in parsed.get("variables", {}).items():
            if name.endswith("RoleId"):
                assert variable["value"] in ROLE_IDS, name
                found += 1
    assert found >= len(APP_ROLE_SCOPES)


def test_app_identity_reaches_storage_only_through_containers_and_queues(
    bicep: dict[str, dict[str, Any]],
) -> None:
    """Each of the app's roles is scoped to the narrowest resource, never the resource group."""
    parsed = bicep["modules/access.bicep"]
    assignments = _resources(parsed, ROLE_ASSIGNMENT)
    granted = set()
    for name, resource in assignments.items():
        body = _body(resource)
        role = _role_name(parsed, body)
        scope = parsed["resources"][_scope_symbol(body)]
        assert scope["type"] == APP_ROLE_SCOPES[role], f"{name}: {role} on {scope['type']}"
        granted.add(role)
    assert granted == set(APP_ROLE_SCOPES)


def test_account_wide_storage_roles_touch_only_what_they_must(
    bicep: dict[str, dict[str, Any]],
) -> None:
    """Blob Data Owner is on the host account; the data account gets only SAS signing."""
    parsed = bicep["modules/access.bicep"]
    for resource in _resources(parsed, ROLE_ASSIGNMENT).values():
        body = _body(resource)
        account = parsed["resources"][_scope_symbol(body)]
        if account["type"] != "Microsoft.Storage/storageAccounts":
            continue
        expected = {
            "Storage Blob Data Owner": "hostAccountName",
            "Storage Blob Delegator": "dataAccountName",
        }[_role_name(parsed, body)]
        assert _body(account)["name"] == expected


def test_storage_holds_the_containers_and_queues_photogate_uses(
    bicep: dict[str, dict[str, Any]],
) -> None:
    """The data account has photogate's two containers, its queues and their poison queues."""
    parsed = bicep["modules/data-storage.bicep"]
    containers = {
        _variable(parsed, _body(c)["name"]): _body(c)["properties"]["publicAccess"]
        for c in _resources(
            parsed, "Microsoft.Storage/storageAccounts/blobServices/containers"
        ).values()
    }
    assert containers == {Container.QUARANTINE.value: "None", Container.PUBLIC.value: "Blob"}
    queues = {SCAN_QUEUE, NOTIFY_QUEUE, poison_queue(SCAN_QUEUE), poison_queue(NOTIFY_QUEUE)}
    assert set(_variable(parsed, "queueNames")) == queues


def test_storage_accounts_accept_neither_keys_nor_old_tls(
    bicep: dict[str, dict[str, Any]],
) -> None:
    """Both storage accounts refuse shared keys and TLS before 1.2."""
    for path in ("modules/data-storage.bicep", "modules/host-storage.bicep"):
        accounts = _resources(bicep[path], "Microsoft.Storage/storageAccounts").values()
        for account in accounts:
            properties = _body(account)["properties"]
            assert properties["allowSharedKeyAccess"] is False, path
            assert properties["minimumTlsVersion"] == "TLS1_2", path


def test_lifecycle_rule_deletes_only_quarantined_originals(
    bicep: dict[str, dict[str, Any]],
) -> None:
    """The lifecycle rule filters on the quarantine container, after the retention parameter."""
    parsed = bicep["modules/data-storage.bicep"]
    (policy,) = _resources(parsed, "Microsoft.Storage/storageAccounts/managementPolicies").values()
    (rule,) = _body(policy)["properties"]["policy"]["rules"]
    assert rule["definition"]["filters"]["prefixMatch"] == ["${quarantineContainerName}/"]
    assert _variable(parsed, "quarantineContainerName") == Container.QUARANTINE.value
    delete = rule["definition"]["actions"]["baseBlob"]["delete"]
    assert delete == {"daysAfterModificationGreaterThan": "quarantineRetentionDays"}


def test_parameters_file_sets_only_declared_parameters_and_no_secrets(
    bicep: dict[str, dict[str, Any]],
) -> None:
    """main.parameters.json names real parameters and leaves every @secure() one out."""
    declared = bicep["main.bicep"]["parameters"]
    values = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    assert set(values) <= set(declared)
    secure = {n for n, p in declared.items() if "secure" in json.dumps(p["decorators"])}
    assert secure, "expected @secure() parameters in main.bicep"
    assert not secure & set(values)


def test_deploy_doc_names_only_real_settings_and_every_deployed_one(
    bicep: dict[str, dict[str, Any]],
) -> None:
    """Each PHOTOGATE_ name in the deploy doc's tables exists, and each deployed one is there."""
    rows = [line for line in DEPLOY_DOC.read_text().splitlines() if line.startswith("|")]
    documented = set(re.findall(r"PHOTOGATE_[A-Z0-9_]*[A-Z0-9]", "\n".join(rows)))
    assert documented <= env_names(Settings), sorted(documented - env_names(Settings))
    deployed = {name for name in _app_settings(bicep) if name.startswith("PHOTOGATE_")}
    assert deployed <= documented, sorted(deployed - documented)
