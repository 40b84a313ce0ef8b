"""Public share pages (#15): no sign-in, their own function, role and throttle."""
