// The Functions host's own storage account: AzureWebJobsStorage (host keys, timer and singleton
// leases) and the Flex Consumption deployment container the app package is read from.
//
// Why a second account instead of a container in photogate's: the host needs Storage Blob Data
// Owner on the account it uses (it creates its azure-webjobs-* containers itself), and that
// role on photogate's account would let the app read and change everything in it. Here it
// holds nothing of the customers', so the broad role costs nothing; a storage account with no
// traffic costs nothing either.

param location string
param accountName string

var deploymentContainerName = 'app-package'

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: accountName
  location: location
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    // The host and the deployment both sign in with the app's managed identity: no keys.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowCrossTenantReplication: false
    accessTier: 'Hot'
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

output accountName string = account.name
output deploymentContainerUrl string = '${account.properties.primaryEndpoints.blob}${deploymentContainer.name}'
