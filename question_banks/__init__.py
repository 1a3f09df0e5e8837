"""The banks and blueprints shipped with certprep (data only)."""
