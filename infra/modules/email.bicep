// Thank-you emails: Email Communication Services with an Azure-managed domain
// (DoNotReply@<id>.azurecomm.net), linked to a Communication Services resource whose SMTP relay
// (smtp.azurecomm.net:587, STARTTLS) photogate's SmtpMailer talks to.
//
// SMTP login is an Entra application: the username is "<resource>|<app id>|<tenant id>" and the
// password is one of the app's client secrets (kept in Key Vault). The app gets a custom role
// with exactly the two permissions Microsoft documents for SMTP, on this resource only, rather
// than Contributor.

param emailServiceName string
param communicationName string
param dataLocation string
param smtpServicePrincipalObjectId string

resource emailService 'Microsoft.Communication/emailServices@2023-04-01' = {
  name: emailServiceName
  location: 'global'
  properties: {
    dataLocation: dataLocation
  }
}

resource managedDomain 'Microsoft.Communication/emailServices/domains@2023-04-01' = {
  parent: emailService
  name: 'AzureManagedDomain'
  location: 'global'
  properties: {
    domainManagement: 'AzureManaged'
    // No tracking pixels or rewritten links in a thank-you note.
    userEngagementTracking: 'Disabled'
  }
}

resource communication 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: communicationName
  location: 'global'
  properties: {
    dataLocation: dataLocation
    linkedDomains: [
      managedDomain.id
    ]
  }
}

resource smtpSenderRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'photogate-smtp-sender')
  properties: {
    // Role names are unique in the tenant: one per resource group.
    roleName: 'photogate SMTP sender ${uniqueString(resourceGroup().id)}'
    description: 'Send email through the Communication Services SMTP relay, nothing else.'
    type: 'CustomRole'
    permissions: [
      {
        actions: [
          'Microsoft.Communication/CommunicationServices/Read'
          'Microsoft.Communication/EmailServices/write'
        ]
        notActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

resource smtpSenderAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: communication
  name: guid(communication.id, smtpServicePrincipalObjectId, smtpSenderRole.name)
  properties: {
    // A custom role's id is subscription-level even when it is created from a resource group.
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', smtpSenderRole.name)
    principalId: smtpServicePrincipalObjectId
    principalType: 'ServicePrincipal'
  }
}

output communicationName string = communication.name
output senderDomain string = managedDomain.properties.fromSenderDomain
