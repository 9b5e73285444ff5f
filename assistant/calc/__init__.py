"""Calculations: pure calculators over Decimal, operands found in the passages, routing a question to one."""
