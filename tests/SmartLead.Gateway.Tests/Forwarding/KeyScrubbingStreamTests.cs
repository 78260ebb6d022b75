using System.Text;
using SmartLead.Gateway.Forwarding;

namespace SmartLead.Gateway.Tests.Forwarding;

public sealed class KeyScrubbingStreamTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(1000)]
    public async Task Write_KeySplitAcrossWrites_IsOverwrittenWithSameLength(int chunkSize)
    {
        const string key = "secret-key-123456";
        var body = $"start {key} middle {Uri.EscapeDataString("k+y/=9999")} end {key}";
        using var output = new MemoryStream();
        var stream = new KeyScrubbingStream(output, [key, "k+y/=9999"]);
        var bytes = Encoding.UTF8.GetBytes(body);

        for (var i = 0; i < bytes.Length; i += chunkSize)
        {
            await stream.WriteAsync(bytes.AsMemory(i, Math.Min(chunkSize, bytes.Length - i)));
        }

        await stream.FinishAsync(CancellationToken.None);

        var result = Encoding.UTF8.GetString(output.ToArray());
        Assert.Equal(bytes.Length, output.Length);
        Assert.Equal($"start {new string('*', key.Length)} middle {new string('*', Uri.EscapeDataString("k+y/=9999").Length)} end {new string('*', key.Length)}", result);
    }

    [Fact]
    public async Task Write_NoSecrets_PassesBytesThrough()
    {
        using var output = new MemoryStream();
        var stream = new KeyScrubbingStream(output, []);

        await stream.WriteAsync("plain"u8.ToArray());
        await stream.FinishAsync(CancellationToken.None);

        Assert.Equal("plain", Encoding.UTF8.GetString(output.ToArray()));
    }
}
