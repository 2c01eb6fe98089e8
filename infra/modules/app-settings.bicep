// The function app's settings: what the Functions host needs, and photogate's own settings
// under exactly the names src/photogate/settings/ reads (PHOTOGATE_ prefix, groups joined by
// "__"). docs/deploy-azure.md explains each; tests/unit/test_infra.py checks every PHOTOGATE_
// name against the Settings model. Secrets are Key Vault references, never values.

param appName string
param hostAccountName string
param blobEndpoint string
param queueEndpoint string
param insightsConnectionString string
param databaseUrlReference string
param scannerApiKeyReference string
param smtpPasswordReference string
param consoleSecretKeyReference string
param consoleUsersReference string
param scannerUrl string
param smtpUsername string
param sender string
param shopUrl string

// The limiter's ceiling on scanner calls per instance: equal to host.json's
// batchSize + newBatchThreshold, the most scan messages one instance holds at once.
var scannerCallsPerInstance = '4'
// One less than host.json's maxDequeueCount: photogate gives up on the last attempt itself, and
// a delivery after one that crashed or timed out settles the message (marks it failed).
var maxAttempts = '5'

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: appName
}

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: {
    // The Functions host: its storage by managed identity (no connection string, no key).
    AzureWebJobsStorage__accountName: hostAccountName
    // The connection function_app.py's queue triggers name ("PhotogateStorage"): photogate's
    // queues, reached with the managed identity.
    PhotogateStorage__queueServiceUri: queueEndpoint
    APPLICATIONINSIGHTS_CONNECTION_STRING: insightsConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'
    // photogate
    PHOTOGATE_BACKEND: 'azure'
    // The app's own files are read-only on Flex Consumption; /tmp is the writable scratch space.
    PHOTOGATE_DATA_DIR: '/tmp/photogate'
    PHOTOGATE_AZURE__BLOB_ACCOUNT_URL: blobEndpoint
    PHOTOGATE_AZURE__QUEUE_ACCOUNT_URL: queueEndpoint
    PHOTOGATE_AZURE__PUBLIC_ACCESS: 'true'
    PHOTOGATE_DATABASE_URL: databaseUrlReference
    PHOTOGATE_SCANNER__URL: scannerUrl
    PHOTOGATE_SCANNER__API_KEY: scannerApiKeyReference
    PHOTOGATE_SCANNER__MAX_IN_FLIGHT: scannerCallsPerInstance
    PHOTOGATE_QUEUE__MAX_ATTEMPTS: maxAttempts
    PHOTOGATE_MAIL__BACKEND: 'smtp'
    PHOTOGATE_MAIL__SENDER: sender
    PHOTOGATE_MAIL__SMTP_HOST: 'smtp.azurecomm.net'
    PHOTOGATE_MAIL__SMTP_PORT: '587'
    PHOTOGATE_MAIL__SMTP_SECURITY: 'starttls'
    PHOTOGATE_MAIL__SMTP_USERNAME: smtpUsername
    PHOTOGATE_MAIL__SMTP_PASSWORD: smtpPasswordReference
    PHOTOGATE_WEB__PUBLIC_BASE_URL: shopUrl
    // Azure's front end appends the caller's address to X-Forwarded-For: the per-address
    // upload limit must count customers, not the front end.
    PHOTOGATE_WEB__TRUSTED_PROXY_HOPS: '1'
    PHOTOGATE_CONSOLE__SECRET_KEY: consoleSecretKeyReference
    PHOTOGATE_CONSOLE__USERS: consoleUsersReference
  }
}
