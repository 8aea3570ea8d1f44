//! The plugin in an app without a window: layers built and drawn per chunk, and picking.
