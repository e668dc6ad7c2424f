//! Importing projects from files.
