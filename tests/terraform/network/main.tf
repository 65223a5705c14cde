# Virtual interfaces, BGP peers and Direct Connect gateways of the AWS provider
# against dxemu. Account 111111111111 owns the connection (and sells hosted
# VIFs); account 222222222222 is the customer who accepts them and proposes
# an association to the owner's gateway.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

variable "endpoint" {
  type = string
}

variable "vif_name_suffix" {
  type    = string
  default = "a"
}

locals {
  owner    = "111111111111"
  customer = "222222222222"
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = local.owner
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {
    directconnect = var.endpoint
  }
}

provider "aws" {
  alias                       = "customer"
  region                      = "us-east-1"
  access_key                  = local.customer
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {
    directconnect = var.endpoint
  }
}

resource "aws_dx_connection" "host" {
  name      = "tf-vif-host"
  bandwidth = "10Gbps"
  location  = "EqDC2"
}

resource "aws_dx_gateway" "private" {
  name            = "tf-private-gw"
  amazon_side_asn = "64512"
}

resource "aws_dx_gateway" "transit" {
  name            = "tf-transit-gw"
  amazon_side_asn = "4200000000"
}

resource "aws_dx_private_virtual_interface" "to_vgw" {
  connection_id  = aws_dx_connection.host.id
  name           = "tf-private-vgw-${var.vif_name_suffix}"
  vlan           = 101
  address_family = "ipv4"
  bgp_asn        = 65000
  vpn_gateway_id = "vgw-0a1b2c3d"
  tags = {
    Env = "test"
  }
}

resource "aws_dx_private_virtual_interface" "to_dxgw" {
  connection_id  = aws_dx_connection.host.id
  name           = "tf-private-dxgw"
  vlan           = 102
  address_family = "ipv4"
  bgp_asn        = 65000
  mtu            = 9001
  dx_gateway_id  = aws_dx_gateway.private.id
}

resource "aws_dx_transit_virtual_interface" "transit" {
  connection_id  = aws_dx_connection.host.id
  name           = "tf-transit"
  vlan           = 103
  address_family = "ipv4"
  bgp_asn        = 65000
  mtu            = 8500
  dx_gateway_id  = aws_dx_gateway.transit.id
}

resource "aws_dx_public_virtual_interface" "public" {
  connection_id         = aws_dx_connection.host.id
  name                  = "tf-public"
  vlan                  = 104
  address_family        = "ipv4"
  bgp_asn               = 65352
  amazon_address        = "175.45.176.1/30"
  customer_address      = "175.45.176.2/30"
  route_filter_prefixes = ["210.52.109.0/24", "175.45.176.0/22"]
}

resource "aws_dx_bgp_peer" "v6" {
  virtual_interface_id = aws_dx_private_virtual_interface.to_vgw.id
  address_family       = "ipv6"
  bgp_asn              = 65001
}

resource "aws_dx_gateway_association" "vgw" {
  dx_gateway_id         = aws_dx_gateway.private.id
  associated_gateway_id = "vgw-1a2b3c4d"
  allowed_prefixes      = ["10.0.0.0/16"]
}

resource "aws_dx_gateway_association" "tgw" {
  dx_gateway_id         = aws_dx_gateway.transit.id
  associated_gateway_id = "tgw-0123456789abcdef0"
  allowed_prefixes      = ["10.255.255.0/30", "10.255.255.8/30"]
}

# The customer proposes its TGW to the owner's transit gateway; the owner accepts.
resource "aws_dx_gateway_association_proposal" "cross" {
  provider                    = aws.customer
  dx_gateway_id               = aws_dx_gateway.transit.id
  dx_gateway_owner_account_id = local.owner
  associated_gateway_id       = "tgw-0fedcba9876543210"
  allowed_prefixes            = ["192.168.0.0/24"]
}

resource "aws_dx_gateway_association" "accepted" {
  dx_gateway_id                       = aws_dx_gateway.transit.id
  proposal_id                         = aws_dx_gateway_association_proposal.cross.id
  associated_gateway_owner_account_id = local.customer
}

# Hosted VIFs: the owner allocates, the customer accepts.
resource "aws_dx_gateway" "customer" {
  provider        = aws.customer
  name            = "tf-customer-gw"
  amazon_side_asn = "64513"
}

resource "aws_dx_hosted_private_virtual_interface" "hosted" {
  connection_id    = aws_dx_connection.host.id
  owner_account_id = local.customer
  name             = "tf-hosted-private"
  vlan             = 201
  address_family   = "ipv4"
  bgp_asn          = 65100
}

resource "aws_dx_hosted_private_virtual_interface_accepter" "hosted" {
  provider             = aws.customer
  virtual_interface_id = aws_dx_hosted_private_virtual_interface.hosted.id
  vpn_gateway_id       = "vgw-5e6f7a8b"
  tags = {
    Side = "customer"
  }
}

resource "aws_dx_hosted_public_virtual_interface" "hosted" {
  connection_id         = aws_dx_connection.host.id
  owner_account_id      = local.customer
  name                  = "tf-hosted-public"
  vlan                  = 202
  address_family        = "ipv4"
  bgp_asn               = 65101
  amazon_address        = "175.45.180.1/30"
  customer_address      = "175.45.180.2/30"
  route_filter_prefixes = ["175.45.180.0/24"]
}

resource "aws_dx_hosted_public_virtual_interface_accepter" "hosted" {
  provider             = aws.customer
  virtual_interface_id = aws_dx_hosted_public_virtual_interface.hosted.id
}

resource "aws_dx_hosted_transit_virtual_interface" "hosted" {
  # Destroyed before the customer's gateway it ends up attached to.
  depends_on       = [aws_dx_gateway.customer]
  connection_id    = aws_dx_connection.host.id
  owner_account_id = local.customer
  name             = "tf-hosted-transit"
  vlan             = 203
  address_family   = "ipv4"
  bgp_asn          = 65102
}

resource "aws_dx_hosted_transit_virtual_interface_accepter" "hosted" {
  provider             = aws.customer
  virtual_interface_id = aws_dx_hosted_transit_virtual_interface.hosted.id
  dx_gateway_id        = aws_dx_gateway.customer.id
}

data "aws_dx_gateway" "by_name" {
  name       = aws_dx_gateway.transit.name
  depends_on = [aws_dx_gateway.transit]
}

data "aws_dx_router_configuration" "cisco" {
  depends_on             = [aws_dx_bgp_peer.v6]
  virtual_interface_id   = aws_dx_private_virtual_interface.to_vgw.id
  router_type_identifier = "CiscoSystemsInc-2900SeriesRouters-IOS124"
}

output "to_vgw_id" {
  value = aws_dx_private_virtual_interface.to_vgw.id
}

output "transit_gateway_id" {
  value = aws_dx_gateway.transit.id
}

output "by_name_asn" {
  value = data.aws_dx_gateway.by_name.amazon_side_asn
}

output "by_name_arn" {
  value = data.aws_dx_gateway.by_name.arn
}

output "router_config" {
  value = data.aws_dx_router_configuration.cisco.customer_router_config
}

output "router_vendor" {
  value = data.aws_dx_router_configuration.cisco.router[0].vendor
}

output "bgp_peer_id" {
  value = aws_dx_bgp_peer.v6.bgp_peer_id
}

output "hosted_private_id" {
  value = aws_dx_hosted_private_virtual_interface.hosted.id
}

output "accepted_association_id" {
  value = aws_dx_gateway_association.accepted.dx_gateway_association_id
}
