"""A plugin whose import fails: annoformat must report AF012 and keep working."""

raise ImportError("this plugin is broken on purpose")
