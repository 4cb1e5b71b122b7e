//! The widget's views. Each folder holds a component and its CSS; class names start with the
//! component's name (`ito-composer__input`), which keeps each stylesheet to its own component.

pub mod article_card;
pub mod attach;
pub mod composer;
pub mod email_form;
pub mod feedback;
pub mod message_list;
pub mod panel_header;
pub mod suggestions;
pub mod survey;
