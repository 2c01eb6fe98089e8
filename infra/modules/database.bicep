// The catalog: Azure Database for PostgreSQL Flexible Server, Burstable B1ms, 32 GB.
//
// Network: public endpoint with TLS required and the "allow Azure services" rule, not a VNet.
// Flex Consumption apps get no fixed outbound addresses, so a firewall cannot name them; a VNet
// (private endpoint, delegated subnet, private DNS zone) would, but it adds resources and cost
// that this workload does not need yet. The rule admits connections from any Azure address
// (other tenants' too), so the password, kept only in Key Vault, and TLS carry the weight.
// Moving to VNet integration later changes this file and the app's networking, not the code.

param location string
param serverName string
param version string
param adminLogin string
@secure()
param adminPassword string
param databaseName string
param operatorIpAddress string

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: serverName
  location: location
  sku: {
    name: 'Standard_B1ms'
    tier: 'Burstable'
  }
  properties: {
    version: version
    administratorLogin: adminLogin
    administratorLoginPassword: adminPassword
    storage: {
      storageSizeGB: 32
      // Growing beats the server going read-only at 95% full.
      autoGrow: 'Enabled'
    }
    backup: {
      backupRetentionDays: 7
      geoRedundantBackup: 'Disabled'
    }
    // Zone-redundant HA is not offered on Burstable; restore from backup is the recovery path.
    highAvailability: {
      mode: 'Disabled'
    }
    network: {
      publicNetworkAccess: 'Enabled'
    }
    authConfig: {
      activeDirectoryAuth: 'Disabled'
      passwordAuth: 'Enabled'
    }
  }
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01' = {
  parent: server
  name: databaseName
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
}

// 0.0.0.0-0.0.0.0 is Azure's spelling of "connections from Azure services".
resource allowAzureServices 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2024-08-01' = {
  parent: server
  name: 'AllowAllAzureServicesAndResourcesWithinAzureIps'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
}

// For `photogate db upgrade` from an operator's machine; remove it again afterwards.
resource allowOperator 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2024-08-01' = if (!empty(operatorIpAddress)) {
  parent: server
  name: 'operator'
  properties: {
    startIpAddress: operatorIpAddress
    endIpAddress: operatorIpAddress
  }
}

output fqdn string = server.properties.fullyQualifiedDomainName
output databaseName string = database.name
