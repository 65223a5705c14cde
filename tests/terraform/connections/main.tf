# Direct Connect resources and data sources of the AWS provider against dxemu.
# Two accounts: the partner/owner (111111111111) and a customer (222222222222).

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

variable "hosted_connection_id" {
  type        = string
  description = "A hosted connection a partner allocated to the customer (made with boto3 by the test)."
}

variable "env_tag" {
  type    = string
  default = "test"
}

locals {
  ckn = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
  cak = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "111111111111"
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
  access_key                  = "222222222222"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {
    directconnect = var.endpoint
  }
}

resource "aws_dx_connection" "tagged" {
  name          = "tf-tagged"
  bandwidth     = "1Gbps"
  location      = "EqDC2"
  provider_name = "Equinix, Inc."
  tags = {
    Env  = var.env_tag
    Team = "network"
  }
}

resource "aws_dx_connection" "kept" {
  name         = "tf-kept"
  bandwidth    = "1Gbps"
  location     = "CSVA1"
  skip_destroy = true
}

resource "aws_dx_connection" "macsec" {
  name           = "tf-macsec"
  bandwidth      = "10Gbps"
  location       = "EqDC2"
  request_macsec = true
}

resource "aws_dx_macsec_key_association" "key" {
  connection_id = aws_dx_connection.macsec.id
  ckn           = local.ckn
  cak           = local.cak
}

resource "aws_dx_lag" "lag" {
  name                  = "tf-lag"
  connections_bandwidth = "1Gbps"
  location              = "165HS"
  tags = {
    Env = var.env_tag
  }
}

resource "aws_dx_connection" "member" {
  name      = "tf-member"
  bandwidth = "1Gbps"
  location  = "165HS"
}

resource "aws_dx_connection_association" "member" {
  connection_id = aws_dx_connection.member.id
  lag_id        = aws_dx_lag.lag.id
}

resource "aws_dx_connection_confirmation" "customer" {
  provider      = aws.customer
  connection_id = var.hosted_connection_id
}

data "aws_dx_connection" "by_name" {
  name       = aws_dx_connection.tagged.name
  depends_on = [aws_dx_connection.tagged]
}

data "aws_dx_location" "eqdc2" {
  location_code = "EqDC2"
}

data "aws_dx_locations" "all" {}

output "tagged_id" {
  value = aws_dx_connection.tagged.id
}

output "tagged_arn" {
  value = aws_dx_connection.tagged.arn
}

output "kept_id" {
  value = aws_dx_connection.kept.id
}

output "lag_id" {
  value = aws_dx_lag.lag.id
}

output "member_id" {
  value = aws_dx_connection.member.id
}

output "secret_arn" {
  value = aws_dx_macsec_key_association.key.secret_arn
}

output "by_name_id" {
  value = data.aws_dx_connection.by_name.id
}

output "by_name_location" {
  value = data.aws_dx_connection.by_name.location
}

output "eqdc2_name" {
  value = data.aws_dx_location.eqdc2.location_name
}

output "eqdc2_speeds" {
  value = data.aws_dx_location.eqdc2.available_port_speeds
}

output "location_codes" {
  value = data.aws_dx_locations.all.location_codes
}
