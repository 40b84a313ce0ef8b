"""The CDK app's constructs: the stack, the per-function capability table and the host-side asset bundling."""
