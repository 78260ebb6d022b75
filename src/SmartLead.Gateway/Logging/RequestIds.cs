using System.Security.Cryptography;

namespace SmartLead.Gateway.Logging;

/// <summary>
/// The gateway's request ids: 32 lowercase hex digits, the shape of a GUID's "N" form. <c>Guid.NewGuid</c> reads the
/// kernel's random source on every call on this platform (a system call per request); these come from two 64-bit
/// halves drawn once per process and a counter, so they cost a few arithmetic steps. The counter goes through a
/// bijective mix (the SplitMix64 finalizer), so two ids of one process never collide and an id says nothing about how
/// many requests came before it; the random halves keep replicas apart.
/// </summary>
internal static class RequestIds
{
    private static readonly ulong ProcessPart = RandomPart();
    private static readonly ulong MixOffset = RandomPart();
    private static long s_counter;

    public static string Next()
    {
        var mixed = Mix((ulong)Interlocked.Increment(ref s_counter) + MixOffset);
        return string.Create(32, mixed, static (chars, value) =>
        {
            // The mixed counter first: ids that differ at a glance in a log; the process's half after it.
            value.TryFormat(chars[..16], out _, "x16");
            ProcessPart.TryFormat(chars[16..], out _, "x16");
        });
    }

    /// <summary>SplitMix64's finalizer: a bijection on 64-bit values, so distinct counters give distinct ids.</summary>
    internal static ulong Mix(ulong value)
    {
        value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9UL;
        value = (value ^ (value >> 27)) * 0x94d049bb133111ebUL;
        return value ^ (value >> 31);
    }

    private static ulong RandomPart()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return BitConverter.ToUInt64(bytes);
    }
}
