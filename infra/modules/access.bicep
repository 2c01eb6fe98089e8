// Least privilege for the function app's managed identity. Each grant names the narrowest scope
// Azure accepts for what photogate does there:
//
//   what                                role                              scope
//   read/write/delete blobs             Storage Blob Data Contributor     each container, not the account
//   send, receive, update, delete       Storage Queue Data Contributor    each queue, not the account
//   sign a user-delegation SAS          Storage Blob Delegator            the data account (the only
//                                                                         scope Azure allows); a SAS
//                                                                         never grants more than the
//                                                                         signer holds on the container
//   Functions host + deployment package Storage Blob Data Owner           the host account (host-storage.bicep)
//   read the three secrets              Key Vault Secrets User            the vault
//   send telemetry                      Monitoring Metrics Publisher      the Application Insights resource
//
// Nothing here can manage storage accounts, list keys, change access rules or read any other
// resource. tests/unit/test_infra.py checks these scopes and role ids.

param principalId string
param dataAccountName string
param containerNames array
param queueNames array
param hostAccountName string
param vaultName string
param insightsName string

// Built-in role definition ids (the same in every tenant).
var blobDataContributorRoleId = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
var queueDataContributorRoleId = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
var blobDelegatorRoleId = 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a'
var blobDataOwnerRoleId = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var keyVaultSecretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'
var metricsPublisherRoleId = '3913510d-42f4-4e42-8a64-420c390055eb'

resource dataAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: dataAccountName
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = [
  for containerName in containerNames: {
    name: '${dataAccountName}/default/${containerName}'
  }
]

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' existing = [
  for queueName in queueNames: {
    name: '${dataAccountName}/default/${queueName}'
  }
]

resource hostAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

resource insights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: insightsName
}

resource containerAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (containerName, i) in containerNames: {
    scope: containers[i]
    name: guid(containers[i].id, principalId, blobDataContributorRoleId)
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataContributorRoleId)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource queueAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (queueName, i) in queueNames: {
    scope: queues[i]
    name: guid(queues[i].id, principalId, queueDataContributorRoleId)
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', queueDataContributorRoleId)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource sasSigning 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: dataAccount
  name: guid(dataAccount.id, principalId, blobDelegatorRoleId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDelegatorRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource hostStorageAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: hostAccount
  name: guid(hostAccount.id, principalId, blobDataOwnerRoleId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataOwnerRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource secretsAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, principalId, keyVaultSecretsUserRoleId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource telemetryAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: insights
  name: guid(insights.id, principalId, metricsPublisherRoleId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', metricsPublisherRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
