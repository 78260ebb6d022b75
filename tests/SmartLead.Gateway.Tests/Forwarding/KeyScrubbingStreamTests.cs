using System.Text;
using SmartLead.Gateway.Forwarding;

namespace SmartLead.Gateway.Tests.Forwarding;

public sealed class KeyScrubbingStreamTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(20)]
    [InlineData(29)]
    [InlineData(1000)]
    public async Task Write_KeySplitAcrossWrites_IsOverwrittenWithSameLength(int chunkSize)
    {
        const string key = "secret-key-123456";
        var body = $"start {key} middle {Uri.EscapeDataString("k+y/=9999")} end {key}";
        using var output = new MemoryStream();
        var stream = new KeyScrubbingStream(output, Patterns(key, "k+y/=9999"));
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
        var stream = new KeyScrubbingStream(output, Patterns());

        await stream.WriteAsync("plain"u8.ToArray());
        await stream.FinishAsync(CancellationToken.None);

        Assert.Equal("plain", Encoding.UTF8.GetString(output.ToArray()));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(64)]
    public async Task Write_NoKeyInLongBody_PassesEveryByteThroughInOrder(int chunkSize)
    {
        var body = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 500).Select(i => $"item-{i},")));
        using var output = new MemoryStream();
        var stream = new KeyScrubbingStream(output, Patterns("secret-key-123456"));

        for (var i = 0; i < body.Length; i += chunkSize)
        {
            await stream.WriteAsync(body.AsMemory(i, Math.Min(chunkSize, body.Length - i)));
        }

        await stream.FinishAsync(CancellationToken.None);

        Assert.Equal(body, output.ToArray());
    }

    private static byte[][] Patterns(params string[] keys) =>
        [.. keys.SelectMany(SmartLead.Gateway.Logging.SecretRedactor.FormsOf).Select(Encoding.UTF8.GetBytes)];
}
