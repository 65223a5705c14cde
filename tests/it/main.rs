//! Integration tests: the server runs in-process on port 0 and is driven by
//! the real `aws-sdk-directconnect` client and by raw HTTP.

mod auth;
mod billing;
mod cache;
mod cbor;
mod common;
mod connections;
mod control;
mod fidelity;
mod fuzz;
mod gateways;
mod hosted;
mod hostile;
mod lags;
mod lifecycle;
mod limits;
mod macsec;
mod prefix_pools;
mod protocol;
mod races;
mod rate_limits;
mod resiliency;
mod routes;
mod tags;
mod ui;
mod vifs;
