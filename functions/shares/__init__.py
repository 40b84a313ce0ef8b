"""The owner's share links (#15): POST/GET /shares, PATCH/DELETE /shares/{id}, POST /shares/{id}/rotate."""
