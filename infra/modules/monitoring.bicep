// Logs and telemetry: one Log Analytics workspace behind Application Insights, and an alert
// for the one event that needs a person: a message given up on and sent to a poison queue.

param location string
param workspaceName string
param insightsName string
param dailyCapGb int
param alertEmail string

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
    // Past the cap, ingestion stops until the next day: a bounded bill beats a logging loop.
    workspaceCapping: {
      dailyQuotaGb: dailyCapGb
    }
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: insightsName
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    IngestionMode: 'LogAnalytics'
    // Telemetry is accepted only from identities with Monitoring Metrics Publisher (access.bicep),
    // so the connection string in the app settings is not a credential.
    DisableLocalAuth: true
  }
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: '${insightsName}-oncall'
  location: 'global'
  properties: {
    groupShortName: 'photogate'
    enabled: true
    emailReceivers: [
      {
        name: 'oncall'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

// A message moved to <queue>-poison is a submission or an email that needs a look. photogate
// logs "giving up on <queue> message …" (src/photogate/worker/consumer.py); the Functions host
// logs "Message has reached MaxDequeueCount …" when it moves one itself.
resource poisonAlert 'Microsoft.Insights/scheduledQueryRules@2022-06-15' = if (!empty(alertEmail)) {
  name: '${insightsName}-poison-messages'
  location: location
  properties: {
    displayName: 'photogate: message sent to a poison queue'
    severity: 2
    enabled: true
    scopes: [
      insights.id
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'traces | where message has "giving up on" or message has "MaxDequeueCount"'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

output insightsName string = insights.name
output connectionString string = insights.properties.ConnectionString
