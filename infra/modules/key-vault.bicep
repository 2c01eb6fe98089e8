// Secrets: the database URL (it holds the password), the scanner's API key, the SMTP password,
// and the moderation console's session key and staff list (password hashes).
// The app reads them through Key Vault references in its settings, so no secret sits in the
// app's configuration or in this deployment's outputs. Access is Azure RBAC, not access policies.

param location string
param vaultName string
@secure()
param databaseUrl string
@secure()
param scannerApiKey string
@secure()
param smtpClientSecret string
param operatorPrincipalId string

// docs/deploy-azure.md sets all but the first with `az keyvault secret set` under these names.
var databaseUrlSecretName = 'database-url'
var scannerApiKeySecretName = 'scanner-api-key'
var smtpPasswordSecretName = 'smtp-password'
// One key shared by every instance, so a console session survives landing on another one.
var consoleSecretKeySecretName = 'console-secret-key'
var consoleUsersSecretName = 'console-users'

// Built-in role: Key Vault Secrets Officer (set, list and delete secrets; for a person).
var secretsOfficerRoleId = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: vaultName
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    enablePurgeProtection: true
    // Key Vault references from a Flex Consumption app need the public endpoint.
    publicNetworkAccess: 'Enabled'
  }
}

resource databaseUrlSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: databaseUrlSecretName
  properties: {
    value: databaseUrl
    contentType: 'SQLAlchemy URL (PHOTOGATE_DATABASE_URL)'
  }
}

// Seeded only when given, so a redeployment without them leaves secrets set by hand alone.
resource scannerApiKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(scannerApiKey)) {
  parent: vault
  name: scannerApiKeySecretName
  properties: {
    value: scannerApiKey
  }
}

resource smtpPasswordSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(smtpClientSecret)) {
  parent: vault
  name: smtpPasswordSecretName
  properties: {
    value: smtpClientSecret
  }
}

resource operatorSecretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  scope: vault
  name: guid(vault.id, operatorPrincipalId, secretsOfficerRoleId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsOfficerRoleId)
    principalId: operatorPrincipalId
  }
}

// Key Vault references for the app settings: versionless, so a new secret version is picked up
// (within a day, or at once on restart) without redeploying.
output vaultName string = vault.name
output databaseUrlReference string = '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${databaseUrlSecretName}/)'
output scannerApiKeyReference string = '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${scannerApiKeySecretName}/)'
output smtpPasswordReference string = '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${smtpPasswordSecretName}/)'
output consoleSecretKeyReference string = '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${consoleSecretKeySecretName}/)'
output consoleUsersReference string = '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${consoleUsersSecretName}/)'
