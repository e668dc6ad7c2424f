//! Importing certificates from files.
