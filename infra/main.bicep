// photogate on Azure, serverless: the whole deployment in one resource group.
//
//   az deployment group create -g <rg> -f infra/main.bicep -p infra/main.parameters.json \
//     -p postgresAdminPassword=<secret>
//
// docs/deploy-azure.md walks through it from nothing to a working site and explains every choice.
// Each module is one concern; this file only names things and wires outputs to inputs.

targetScope = 'resourceGroup'

@description('Region of every regional resource. It must offer the Flex Consumption plan: az functionapp list-flexconsumption-locations.')
param location string = resourceGroup().location

@description('Lowercase letters and digits; starts every resource name (storage names allow nothing else).')
@minLength(3)
@maxLength(10)
param namePrefix string = 'photogate'

@description('Base URL of the scanning API (PHOTOGATE_SCANNER__URL).')
param scannerUrl string

@description('The URL customers reach the shop at, if not the function app\'s own (a custom domain). Empty: https://<default host name>.')
param publicBaseUrl string = ''

@description('Days after which the lifecycle rule deletes quarantined originals that photogate has not deleted itself.')
@minValue(1)
@maxValue(3650)
param quarantineRetentionDays int = 30

@description('Storage redundancy. Standard_ZRS survives the loss of a zone for about 25% more per GB.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
])
param storageSku string = 'Standard_LRS'

@description('Most instances the function app may scale out to. Every scan instance may have up to 4 scanner calls in flight.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory of one instance. 2048 MB leaves room to decode a 64-megapixel upload.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Concurrent HTTP requests per instance. The storefront is async, so one instance serves many (Python defaults to 1).')
@minValue(1)
@maxValue(1000)
param httpPerInstanceConcurrency int = 16

@description('Instances kept warm for HTTP (billed while idle). 0 scales to zero and accepts a cold start.')
@minValue(0)
@maxValue(20)
param httpAlwaysReady int = 0

@description('PostgreSQL major version.')
@allowed([
  '15'
  '16'
])
param postgresVersion string = '16'

@description('PostgreSQL administrator login (not "azure_superuser", "admin", "root", "postgres"…).')
param postgresAdminLogin string = 'photogate'

@description('PostgreSQL administrator password. Give it on the command line, never in a parameters file.')
@secure()
@minLength(12)
param postgresAdminPassword string

@description('Public IPv4 address allowed to reach PostgreSQL directly, to run migrations. Empty: none.')
param operatorIpAddress string = ''

@description('Object id of the person or pipeline that sets secrets; gets Key Vault Secrets Officer. Empty: none.')
param operatorPrincipalId string = ''

@description('Application (client) id of the Entra app whose secret is the SMTP password.')
param smtpAppClientId string

@description('Object id of that app\'s service principal; it gets the send-mail role on Communication Services.')
param smtpServicePrincipalObjectId string

@description('The scanner\'s API key, to seed Key Vault. Empty: set it later with az keyvault secret set.')
@secure()
param scannerApiKey string = ''

@description('The SMTP app\'s client secret, to seed Key Vault. Empty: set it later with az keyvault secret set.')
@secure()
param smtpClientSecret string = ''

@description('Where Communication Services keeps email data at rest.')
param emailDataLocation string = 'United States'

@description('Display name in the From header of the thank-you emails.')
param senderDisplayName string = 'Tailwind Traders'

@description('Name of the Event Grid-triggered function in function_app.py: blob_created. Empty until the code is published: Azure checks the function exists.')
param blobCreatedFunctionName string = ''

@description('Email address told when a message lands on a poison queue. Empty: no alert.')
param alertEmail string = ''

@description('Daily cap on log ingestion, in GB: a runaway logger cannot run up the bill.')
@minValue(1)
param logDailyCapGb int = 1

var token = take(uniqueString(subscription().id, resourceGroup().id, namePrefix), 8)
var names = {
  dataStorage: toLower('${namePrefix}data${token}')
  hostStorage: toLower('${namePrefix}host${token}')
  plan: '${namePrefix}-plan-${token}'
  functionApp: '${namePrefix}-func-${token}'
  logs: '${namePrefix}-logs-${token}'
  insights: '${namePrefix}-appi-${token}'
  postgres: '${namePrefix}-pg-${token}'
  keyVault: '${namePrefix}-kv-${token}'
  emailService: '${namePrefix}-email-${token}'
  communication: '${namePrefix}-acs-${token}'
  blobEvents: '${namePrefix}-blob-events-${token}'
}
var databaseName = 'photogate'

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    workspaceName: names.logs
    insightsName: names.insights
    dailyCapGb: logDailyCapGb
    alertEmail: alertEmail
  }
}

module hostStorage 'modules/host-storage.bicep' = {
  name: 'host-storage'
  params: {
    location: location
    accountName: names.hostStorage
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  params: {
    location: location
    planName: names.plan
    appName: names.functionApp
    deploymentContainerUrl: hostStorage.outputs.deploymentContainerUrl
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    httpPerInstanceConcurrency: httpPerInstanceConcurrency
    httpAlwaysReady: httpAlwaysReady
  }
}

var shopUrl = empty(publicBaseUrl) ? 'https://${functionApp.outputs.defaultHostName}' : publicBaseUrl

module dataStorage 'modules/data-storage.bicep' = {
  name: 'data-storage'
  params: {
    location: location
    accountName: names.dataStorage
    sku: storageSku
    quarantineRetentionDays: quarantineRetentionDays
    uploadOrigin: shopUrl
  }
}

module database 'modules/database.bicep' = {
  name: 'database'
  params: {
    location: location
    serverName: names.postgres
    version: postgresVersion
    adminLogin: postgresAdminLogin
    adminPassword: postgresAdminPassword
    databaseName: databaseName
    operatorIpAddress: operatorIpAddress
  }
}

module email 'modules/email.bicep' = {
  name: 'email'
  params: {
    emailServiceName: names.emailService
    communicationName: names.communication
    dataLocation: emailDataLocation
    smtpServicePrincipalObjectId: smtpServicePrincipalObjectId
  }
}

module keyVault 'modules/key-vault.bicep' = {
  name: 'key-vault'
  params: {
    location: location
    vaultName: names.keyVault
    // psycopg through SQLAlchemy; Azure's server refuses connections without TLS.
    databaseUrl: 'postgresql+psycopg://${postgresAdminLogin}:${uriComponent(postgresAdminPassword)}@${database.outputs.fqdn}:5432/${databaseName}?sslmode=require'
    scannerApiKey: scannerApiKey
    smtpClientSecret: smtpClientSecret
    operatorPrincipalId: operatorPrincipalId
  }
}

module access 'modules/access.bicep' = {
  name: 'access'
  params: {
    principalId: functionApp.outputs.principalId
    dataAccountName: dataStorage.outputs.accountName
    containerNames: dataStorage.outputs.containerNames
    queueNames: dataStorage.outputs.queueNames
    hostAccountName: hostStorage.outputs.accountName
    vaultName: keyVault.outputs.vaultName
    insightsName: monitoring.outputs.insightsName
  }
}

module appSettings 'modules/app-settings.bicep' = {
  name: 'app-settings'
  params: {
    appName: functionApp.outputs.name
    hostAccountName: hostStorage.outputs.accountName
    blobEndpoint: dataStorage.outputs.blobEndpoint
    queueEndpoint: dataStorage.outputs.queueEndpoint
    insightsConnectionString: monitoring.outputs.connectionString
    databaseUrlReference: keyVault.outputs.databaseUrlReference
    scannerApiKeyReference: keyVault.outputs.scannerApiKeyReference
    smtpPasswordReference: keyVault.outputs.smtpPasswordReference
    consoleSecretKeyReference: keyVault.outputs.consoleSecretKeyReference
    consoleUsersReference: keyVault.outputs.consoleUsersReference
    scannerUrl: scannerUrl
    smtpUsername: '${email.outputs.communicationName}|${smtpAppClientId}|${tenant().tenantId}'
    sender: '${senderDisplayName} <DoNotReply@${email.outputs.senderDomain}>'
    shopUrl: shopUrl
  }
  // Key Vault references resolve when the settings change: the app must be allowed to read first.
  dependsOn: [
    access
  ]
}

module blobEvents 'modules/blob-events.bicep' = {
  name: 'blob-events'
  params: {
    location: location
    topicName: names.blobEvents
    dataAccountName: dataStorage.outputs.accountName
    functionAppName: functionApp.outputs.name
    functionName: blobCreatedFunctionName
  }
  dependsOn: [
    appSettings
  ]
}

output functionAppName string = functionApp.outputs.name
output functionAppUrl string = 'https://${functionApp.outputs.defaultHostName}'
output shopUrl string = shopUrl
output storageAccountName string = dataStorage.outputs.accountName
output hostStorageAccountName string = hostStorage.outputs.accountName
output keyVaultName string = keyVault.outputs.vaultName
output postgresServerFqdn string = database.outputs.fqdn
output postgresServerName string = names.postgres
output senderAddress string = 'DoNotReply@${email.outputs.senderDomain}'
output communicationServiceName string = email.outputs.communicationName
