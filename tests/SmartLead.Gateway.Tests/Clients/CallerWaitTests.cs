using Microsoft.AspNetCore.Http;
using SmartLead.Gateway.Clients;

namespace SmartLead.Gateway.Tests.Clients;

public sealed class CallerWaitTests
{
    [Theory]
    [InlineData("wait=10", 10_000)]
    [InlineData("WAIT = 3", 3_000)]
    [InlineData("respond-async, wait=5", 5_000)]
    [InlineData("wait=0", 0)]
    [InlineData("wait=\"7\"", 7_000)]
    [InlineData("handling=lenient, wait=2;x=y", 2_000)]
    [InlineData("wait=1, wait=9", 1_000)]
    public void From_PreferWait_IsThoseSeconds(string prefer, int expectedMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), CallerWait.From(Headers(("Prefer", prefer))));
    }

    [Theory]
    [InlineData("respond-async")]
    [InlineData("wait=")]
    [InlineData("wait=-1")]
    [InlineData("wait=1.5")]
    [InlineData("wait=soon")]
    [InlineData("waiting=4")]
    public void From_PreferWithoutAUsableWait_IsNull(string prefer)
    {
        Assert.Null(CallerWait.From(Headers(("Prefer", prefer))));
    }

    [Theory]
    [InlineData("2", 2_000)]
    [InlineData(" 0.25 ", 250)]
    [InlineData("0", 0)]
    public void From_MaxWaitHeader_AllowsFractions(string value, int expectedMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), CallerWait.From(Headers(("X-Gateway-Max-Wait", value))));
    }

    [Theory]
    [InlineData("-2")]
    [InlineData("1e3")]
    [InlineData("two")]
    [InlineData("")]
    public void From_MaxWaitHeaderNotANumber_IsNull(string value)
    {
        Assert.Null(CallerWait.From(Headers(("X-Gateway-Max-Wait", value))));
    }

    [Fact]
    public void From_HugeNumber_IsCappedAtADayRatherThanOverflowing()
    {
        Assert.Equal(TimeSpan.FromDays(1), CallerWait.From(Headers(("X-Gateway-Max-Wait", "99999999999999999999999"))));
    }

    [Fact]
    public void From_BothHeaders_TheShorterWaitStands()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), CallerWait.From(Headers(("Prefer", "wait=4"), ("X-Gateway-Max-Wait", "1"))));
        Assert.Equal(TimeSpan.FromSeconds(2), CallerWait.From(Headers(("Prefer", "wait=2"), ("X-Gateway-Max-Wait", "6"))));
    }

    [Fact]
    public void From_NoHeaders_IsNull()
    {
        Assert.Null(CallerWait.From(new HeaderDictionary()));
    }

    private static HeaderDictionary Headers(params (string Name, string Value)[] headers)
    {
        var dictionary = new HeaderDictionary();
        foreach (var (name, value) in headers)
        {
            dictionary[name] = value;
        }

        return dictionary;
    }
}
