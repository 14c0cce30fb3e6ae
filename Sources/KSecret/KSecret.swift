// Core library.
