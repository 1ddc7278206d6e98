"""The built-in backends of skyvern-core, each an ordinary plugin."""
