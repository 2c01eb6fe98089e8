// The Function App on the Flex Consumption plan: Python 3.11, a system-assigned identity, scale
// to zero, a ceiling on instances. App settings come later (app-settings.bicep), once the
// identity has been granted what the settings' Key Vault references need.

param location string
param planName string
param appName string
param deploymentContainerUrl string
param maximumInstanceCount int
param instanceMemoryMB int
param httpPerInstanceConcurrency int
param httpAlwaysReady int

var httpAlwaysReadyConfig = [
  {
    name: 'http'
    instanceCount: httpAlwaysReady
  }
]

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        // The ceiling that keeps a backlog from becoming a stampede on the scanner: with
        // host.json's 4 messages per instance, at most 4 x this many scans are in flight.
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        alwaysReady: httpAlwaysReady > 0 ? httpAlwaysReadyConfig : []
        triggers: {
          http: {
            perInstanceConcurrency: httpPerInstanceConcurrency
          }
        }
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}

// Publishing signs in with Entra ID (az login / func azure functionapp publish), never with
// the site's basic-auth publishing password.
resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

output name string = site.name
output principalId string = site.identity.principalId
output defaultHostName string = site.properties.defaultHostName
