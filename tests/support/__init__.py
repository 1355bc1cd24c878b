"""What the tests share (no tests here)."""
