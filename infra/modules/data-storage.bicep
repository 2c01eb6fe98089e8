// photogate's storage account: the quarantine and public containers, the scan and notification
// queues with their poison queues, and a lifecycle rule that deletes old quarantined originals.
//
// Public renditions: the public container allows anonymous reads of single blobs (never
// listing); quarantine allows none. We chose this over a CDN or Front Door reading a private
// container because (1) what is public there is public by design: re-encoded renditions with no
// metadata, under names that reveal nothing (src/photogate/publishing/), (2) Front Door's base
// fee (about $35 a month for Standard) would be the largest line of the bill at 1,000 uploads,
// and (3) it is one less moving part. allowBlobPublicAccess only permits containers to opt in;
// quarantine never does, and AzureBlobStore.ensure_containers refuses a quarantine that anyone
// may read (src/photogate/adapters/azure_blobs.py). To move behind Front Door later: set the
// public container to 'None', point Front Door at it with managed-identity origin auth, and set
// PHOTOGATE_AZURE__PUBLIC_ACCESS=false and PHOTOGATE_AZURE__PUBLIC_BASE_URL=<Front Door URL>.

param location string
param accountName string
param sku string
param quarantineRetentionDays int
@description('The shop\'s origin, allowed to PUT uploads straight into quarantine with a SAS (Valet Key).')
param uploadOrigin string

// The names photogate uses: src/photogate/ports/blobs.py (Container) and
// src/photogate/messages.py (SCAN_QUEUE, NOTIFY_QUEUE, poison_queue), with no prefix.
var quarantineContainerName = 'quarantine'
var publicContainerName = 'public'
var queueNames = [
  'scans'
  'notifications'
  'scans-poison'
  'notifications-poison'
]

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: accountName
  location: location
  kind: 'StorageV2'
  sku: {
    name: sku
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: true
    // Managed identity for the app, user-delegation SAS for uploads: no account key is used,
    // so none can leak.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowCrossTenantReplication: false
    accessTier: 'Hot'
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    // A blob deleted by mistake (or by a bug) can be undeleted for a week.
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    // Browsers PUT the upload straight to quarantine with a create-only SAS; only the shop's
    // origin may, and only PUT.
    cors: {
      corsRules: [
        {
          allowedOrigins: [
            uploadOrigin
          ]
          allowedMethods: [
            'PUT'
          ]
          allowedHeaders: [
            'content-type'
            'x-ms-*'
          ]
          exposedHeaders: [
            'etag'
            'x-ms-request-id'
          ]
          maxAgeInSeconds: 3600
        }
      ]
    }
  }
}

resource quarantineContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: quarantineContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource publicContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: publicContainerName
  properties: {
    publicAccess: 'Blob'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [
  for queueName in queueNames: {
    parent: queueService
    name: queueName
  }
]

// A backstop for photogate's own clean-up: whatever is left in quarantine after the retention
// period goes, so unscanned customer photos are never kept indefinitely.
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          enabled: true
          name: 'delete-quarantined-originals'
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              prefixMatch: [
                '${quarantineContainerName}/'
              ]
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterModificationGreaterThan: quarantineRetentionDays
                }
              }
            }
          }
        }
      ]
    }
  }
  dependsOn: [
    quarantineContainer
  ]
}

output accountName string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output queueEndpoint string = account.properties.primaryEndpoints.queue
output containerNames array = [
  quarantineContainer.name
  publicContainer.name
]
output queueNames array = queueNames
