//! The ordered set of handlers the dispatcher consults.

use crate::handler::JobHandler;

/// A handler name that the registry does not know, or knows twice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// A name that no registered handler has.
    #[error("unknown handler {name:?}: known handlers are {known}")]
    UnknownHandler {
        /// The name asked for.
        name: String,
        /// The registered names, comma separated, in priority order.
        known: String,
    },
    /// Two handlers with one name.
    #[error("handler {0:?} is registered twice: handler names must be unique")]
    Duplicate(&'static str),
}

struct Entry {
    handler: Box<dyn JobHandler>,
    enabled: bool,
}

/// Handlers in priority order (first registered, first consulted), each enabled or not.
///
/// A disabled handler stays in the registry so that a decision can say "`X` would act but is
/// disabled" instead of silently doing nothing.
#[derive(Default)]
pub struct HandlerRegistry {
    entries: Vec<Entry>,
}

impl HandlerRegistry {
    /// An empty registry.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a handler after every registered one, enabled.
    pub fn register(&mut self, handler: Box<dyn JobHandler>) -> Result<(), RegistryError> {
        if self.entries.iter().any(|e| e.handler.name() == handler.name()) {
            return Err(RegistryError::Duplicate(handler.name()));
        }
        self.entries.push(Entry { handler, enabled: true });
        Ok(())
    }

    /// Enables exactly the handlers named in `names`, disabling the others.
    pub fn enable_only<S: AsRef<str>>(&mut self, names: &[S]) -> Result<(), RegistryError> {
        for name in names {
            self.check_known(name.as_ref())?;
        }
        for entry in &mut self.entries {
            entry.enabled = names.iter().any(|n| n.as_ref() == entry.handler.name());
        }
        Ok(())
    }

    /// Fails with the list of known names when `name` is not registered.
    pub fn check_known(&self, name: &str) -> Result<(), RegistryError> {
        if self.get(name).is_some() {
            Ok(())
        } else {
            Err(RegistryError::UnknownHandler { name: name.to_owned(), known: self.names().join(", ") })
        }
    }

    /// The handler called `name`, enabled or not.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&dyn JobHandler> {
        self.entries.iter().find(|e| e.handler.name() == name).map(|e| e.handler.as_ref())
    }

    /// Registered names in priority order.
    #[must_use]
    pub fn names(&self) -> Vec<&'static str> {
        self.entries.iter().map(|e| e.handler.name()).collect()
    }

    /// True when the handler called `name` is registered and enabled.
    #[must_use]
    pub fn is_enabled(&self, name: &str) -> bool {
        self.entries.iter().any(|e| e.enabled && e.handler.name() == name)
    }

    /// Handlers with their enabled flag, in priority order.
    pub fn iter(&self) -> impl Iterator<Item = (&dyn JobHandler, bool)> {
        self.entries.iter().map(|e| (e.handler.as_ref(), e.enabled))
    }
}
