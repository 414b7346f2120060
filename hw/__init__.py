"""Hardware blocks in Amaranth, each with a golden Python model beside it.

Every block consumes the record layouts defined once in ``wirespeed.layout``;
its model in the same folder is the reference both the Amaranth-simulator and
the cocotb + Verilator tests compare against, and the software risk path runs
the same model.
"""
