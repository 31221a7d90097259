//! SeaORM entities of Premiere, one module per table. Data only, no behaviour.

pub mod credit;
pub mod installment;
pub mod interview;
pub mod interview_participant;
pub mod person;
pub mod prelude;
pub mod release_event;
pub mod series;
pub mod webhook;
pub mod webhook_delivery;
