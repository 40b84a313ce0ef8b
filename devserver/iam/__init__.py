"""Local IAM: each function's deployed policy (infra.capabilities), enforced wherever our code meets the emulator."""
