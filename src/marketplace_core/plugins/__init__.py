"""Plugin machinery: discovery (stevedore), calling (pluggy), events and registries."""
