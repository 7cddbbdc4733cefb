"""Label quality over the IR: comparison, agreement, statistics and drift, in any format."""
