using System.Text;
using BenchmarkDotNet.Attributes;
using SmartLead.Gateway.Credentials;
using SmartLead.Gateway.Forwarding;

namespace SmartLead.Gateway.Benchmarks;

/// <summary>
/// An 8 MB JSON answer (no key in it, the common case, and the one that must cost least) written through the key
/// scrubbing stream in 16 KB writes, as YARP copies it, with the gateway's key alone and with the gateway's key plus
/// 480 <c>api_key</c> values a hostile client sent. The cost should not grow with the number of values: one pass,
/// one automaton. MB/s = 8 MB / Mean.
/// </summary>
/// <remarks>Public and unsealed: the runner BenchmarkDotNet generates derives from it.</remarks>
[MemoryDiagnoser]
[ShortRunJob]
public class KeyScrubbingBenchmarks
{
    private const int WriteSize = 16 * 1024;
    private const string GatewayKey = "3f2a9c4e-71b8-4d05-9e6a-2c8f1b7d0e5a_x9k2mq";

    private byte[] _body = [];
    private KeyPatterns _oneKey = KeyPatterns.Empty;
    private KeyPatterns _manyValues = KeyPatterns.Empty;
    private string[] _clientValues = [];

    [Params(1, 481)]
    public int Keys { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var text = new StringBuilder();
        var i = 0;
        while (text.Length < 8 * 1024 * 1024)
        {
            text.Append(CultureInfoFree($"{{\"id\":{i},\"email\":\"lead{i}@example.com\",\"first_name\":\"Ada\",\"url\":\"https:\\/\\/example.com\\/p?x={i}&y=%2F\",\"note\":\"caf\\u00e9 \\\"quoted\\\"\"}},"));
            i++;
        }

        _body = Encoding.UTF8.GetBytes(text.ToString());
        _oneKey = KeyPatterns.Build([GatewayKey], []);
        _clientValues = [.. Enumerable.Range(0, 480).Select(n => $"client-value-{n:D4}-{n * 7919 % 10007:D5}")];
        _manyValues = KeyPatterns.Build([GatewayKey], _clientValues);
    }

    [Benchmark]
    public long Scrub8MegabyteAnswer()
    {
        var patterns = Keys == 1 ? _oneKey : _manyValues;
        var stream = new KeyScrubbingStream(Stream.Null, () => patterns);
        for (var offset = 0; offset < _body.Length; offset += WriteSize)
        {
            stream.WriteAsync(_body.AsMemory(offset, Math.Min(WriteSize, _body.Length - offset))).AsTask().GetAwaiter().GetResult();
        }

        stream.FinishAsync(CancellationToken.None).GetAwaiter().GetResult();
        return _body.Length;
    }

    /// <summary>What a request with that many <c>api_key</c> values pays once, before its answer is scanned.</summary>
    [Benchmark]
    public int BuildPatterns() =>
        (Keys == 1 ? KeyPatterns.Build([GatewayKey], []) : KeyPatterns.Build([GatewayKey], _clientValues)).MaxDepth;

    private static string CultureInfoFree(FormattableString text) => FormattableString.Invariant(text);
}
