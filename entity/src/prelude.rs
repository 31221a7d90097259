pub use super::credit::Entity as Credit;
pub use super::installment::Entity as Installment;
pub use super::interview::Entity as Interview;
pub use super::interview_participant::Entity as InterviewParticipant;
pub use super::person::Entity as Person;
pub use super::release_event::Entity as ReleaseEvent;
pub use super::series::Entity as Series;
