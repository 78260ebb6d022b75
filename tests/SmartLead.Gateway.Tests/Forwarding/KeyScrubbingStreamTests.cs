using System.Text;
using SmartLead.Gateway.Credentials;
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

    [Fact]
    public async Task Write_EventsShorterThanTheKey_EachReachesTheClientAtItsOwnWrite()
    {
        using var output = new MemoryStream();
        var stream = new KeyScrubbingStream(output, Patterns("secret-key-1234567890-abcdef"));

        foreach (var i in Enumerable.Range(0, 5))
        {
            var sent = Encoding.UTF8.GetBytes($"data: {i}\n\n");
            var before = output.Length;
            await stream.WriteAsync(sent);
            Assert.Equal(sent, output.ToArray()[(int)before..]);
        }
    }

    [Fact]
    public async Task Write_TrailingPartialMatch_IsTheOnlyPartHeldBack()
    {
        using var output = new MemoryStream();
        var stream = new KeyScrubbingStream(output, Patterns("secret-key-123456"));

        await stream.WriteAsync("hello secret-k"u8.ToArray());
        Assert.Equal("hello ", Encoding.UTF8.GetString(output.ToArray()));

        await stream.WriteAsync("ey-123456 bye"u8.ToArray());
        await stream.FinishAsync(CancellationToken.None);
        Assert.Equal("hello ***************** bye", Encoding.UTF8.GetString(output.ToArray()));
    }

    private static Func<KeyPatterns> Patterns(params string[] keys)
    {
        var patterns = KeyPatterns.Build([], keys);
        return () => patterns;
    }
}
