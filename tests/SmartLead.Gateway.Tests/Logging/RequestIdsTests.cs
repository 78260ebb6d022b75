using SmartLead.Gateway.Logging;

namespace SmartLead.Gateway.Tests.Logging;

public sealed class RequestIdsTests
{
    [Fact]
    public void Next_ManyTimes_GivesDistinctIdsOf32LowercaseHexDigits()
    {
        var ids = Enumerable.Range(0, 20_000).Select(_ => RequestIds.Next()).ToList();

        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{32}$", id));
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Next_Consecutively_DoesNotCountVisibly()
    {
        // The counter is mixed: neighbouring ids differ in many digits of their first half, not in one digit.
        var first = RequestIds.Next();
        var second = RequestIds.Next();

        var differing = first[..16].Zip(second[..16]).Count(pair => pair.First != pair.Second);
        Assert.True(differing >= 6, $"{first} and {second} differ in only {differing} of their first 16 digits");
    }

    [Fact]
    public void Mix_OverAContiguousRange_IsOneToOne()
    {
        var mixed = new HashSet<ulong>();
        for (var value = ulong.MaxValue - 50_000; value != 50_000; value++)
        {
            Assert.True(mixed.Add(RequestIds.Mix(value)), $"{value} collided");
        }
    }
}
