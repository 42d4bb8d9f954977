"""serverless-jobs client package."""
