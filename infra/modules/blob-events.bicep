// BlobCreated events from photogate's storage account to the Event Grid-triggered function, so a
// direct (Valet Key) upload starts intake without waiting for the browser's POST .../complete.
//
// The subscription is created only once the function exists (functionName not empty): Azure
// checks the endpoint when the subscription is made, and the code is published after the first
// deployment. Until then the browser's POST .../complete starts intake alone.

param location string
param topicName string
param dataAccountName string
param functionAppName string
param functionName string

resource dataAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: dataAccountName
}

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: topicName
  location: location
  properties: {
    source: dataAccount.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource blobCreated 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = if (!empty(functionName)) {
  parent: topic
  name: 'quarantine-blob-created'
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${site.id}/functions/${functionName}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.Storage.BlobCreated'
      ]
      subjectBeginsWith: '/blobServices/default/containers/quarantine/'
    }
    eventDeliverySchema: 'EventGridSchema'
    // Event Grid retries with backoff for a day; intake is idempotent, so a repeat is harmless.
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}
