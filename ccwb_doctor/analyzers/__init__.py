"""Pure analyzers: values in, values out; no printing, no CLI, no engine imports."""
