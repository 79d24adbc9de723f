using System.Buffers;

namespace HybridBuild.BuildKit.Tests.Http2;

public sealed class HpackLiteralEncoderTests
{
    [Fact]
    public void Integers_beyond_the_prefix_continue_in_seven_bit_groups_as_in_rfc_7541_c_1_2()
    {
        var output = new ArrayBufferWriter<byte>();

        HpackLiteralEncoder.WriteInteger(output, 1337, prefixBits: 5, firstByteFlags: 0);

        Assert.Equal(new byte[] { 0x1F, 0x9A, 0x0A }, output.WrittenSpan.ToArray());
    }

    [Fact]
    public void A_field_is_a_literal_without_indexing_with_a_raw_new_name()
    {
        var output = new ArrayBufferWriter<byte>();

        HpackLiteralEncoder.WriteField(output, "custom-key", "custom-header");

        byte[] expected = [0x00, 0x0A, .. "custom-key"u8, 0x0D, .. "custom-header"u8];
        Assert.Equal(expected, output.WrittenSpan.ToArray());
    }

    [Fact]
    public void Header_values_outside_printable_ascii_are_refused()
    {
        Assert.Throws<ArgumentException>(() => SessionRequestHead.Encode("localhost", secure: false, [KeyValuePair.Create("x-a", "line\nbreak")]));
    }
}
