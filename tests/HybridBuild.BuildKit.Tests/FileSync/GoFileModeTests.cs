namespace HybridBuild.BuildKit.Tests.FileSync;

public sealed class GoFileModeTests
{
    [Theory]
    [InlineData(0x41EDu, 0x800001EDu)] // drwxr-xr-x
    [InlineData(0x81A4u, 0x000001A4u)] // -rw-r--r--
    [InlineData(0xA1FFu, 0x080001FFu)] // lrwxrwxrwx
    [InlineData(0x89EDu, 0x008001EDu)] // -rwsr-xr-x (setuid)
    [InlineData(0x85EDu, 0x004001EDu)] // -rwxr-sr-x (setgid)
    [InlineData(0x43FFu, 0x801001FFu)] // drwxrwxrwt (sticky)
    [InlineData(0x21B6u, 0x042001B6u)] // character device
    [InlineData(0x61B0u, 0x040001B0u)] // block device
    [InlineData(0x11A4u, 0x020001A4u)] // FIFO
    [InlineData(0xC1EDu, 0x010001EDu)] // socket
    public void Unix_modes_become_Go_file_modes_with_special_bits_moved_not_cast(uint unix, uint go)
    {
        Assert.Equal(go, GoFileMode.FromUnix(unix));
        Assert.Equal(unix, GoFileMode.ToUnix(go));
    }

    [Fact]
    public void Setuid_setgid_and_sticky_map_to_the_POSIX_values_of_dotnet_UnixFileMode()
    {
        var mode = GoFileMode.ToUnixFileMode(GoFileMode.Setuid | GoFileMode.Setgid | GoFileMode.Sticky | 0x1ED);
        Assert.Equal(UnixFileMode.SetUser | UnixFileMode.SetGroup | UnixFileMode.StickyBit | (UnixFileMode)0x1ED, mode);
    }

    [Fact]
    public void Only_a_mode_without_type_bits_is_a_regular_file()
    {
        Assert.True(GoFileMode.IsRegular(0x1A4 | GoFileMode.Setuid));
        Assert.False(GoFileMode.IsRegular(GoFileMode.Dir | 0x1ED));
        Assert.False(GoFileMode.IsRegular(GoFileMode.Symlink | 0x1FF));
    }
}
