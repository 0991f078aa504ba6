"""WeChat login, binding a WeChat account to a person on the roster, API tokens, the current user."""
