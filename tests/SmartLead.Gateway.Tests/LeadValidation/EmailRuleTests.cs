using System.Text;
using SmartLead.Gateway.LeadValidation;

namespace SmartLead.Gateway.Tests.LeadValidation;

public sealed class EmailRuleTests
{
    [Theory]
    [InlineData("a@example.com")]
    [InlineData("first.last@example.co.uk")]
    [InlineData("first+tag@sub.example.com")]
    [InlineData("o'brien@example.ie")]
    [InlineData("x_y-z!#$%&*/=?^`{|}~@example.com")]
    [InlineData("UPPER@EXAMPLE.COM")]
    [InlineData("a@xn--bcher-kva.example")]
    [InlineData("a@my-domain.example")]
    [InlineData("a@123.example")]
    [InlineData("jürgen@müller.de")]
    [InlineData("用户@例子.中国")]
    public void EmailRule_ValidAddress_IsAccepted(string email)
    {
        Assert.True(EmailRule.IsValid(email));
        Assert.True(EmailRule.IsValid(Encoding.UTF8.GetBytes(email)));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("plainaddress")]
    [InlineData("@example.com")]
    [InlineData("a@")]
    [InlineData("a@example")]
    [InlineData("a@@example.com")]
    [InlineData("a@b@example.com")]
    [InlineData("a b@example.com")]
    [InlineData("a@exa mple.com")]
    [InlineData(" a@example.com")]
    [InlineData("a@example.com ")]
    [InlineData("a\t@example.com")]
    [InlineData("a\n@example.com")]
    [InlineData("a\u00a0b@example.com")]
    [InlineData("a\u200bb@example.com")]
    [InlineData("a\u0000@example.com")]
    [InlineData(".a@example.com")]
    [InlineData("a.@example.com")]
    [InlineData("a..b@example.com")]
    [InlineData("\"a b\"@example.com")]
    [InlineData("a(comment)@example.com")]
    [InlineData("a,b@example.com")]
    [InlineData("a@.example.com")]
    [InlineData("a@example.com.")]
    [InlineData("a@example..com")]
    [InlineData("a@-example.com")]
    [InlineData("a@example-.com")]
    [InlineData("a@exa_mple.com")]
    [InlineData("a@[127.0.0.1]")]
    [InlineData("a@127.0.0.1")]
    [InlineData("a@example.c\u00a0m")]
    [InlineData("a\ufffd@example.com")]
    public void EmailRule_InvalidAddress_IsRefused(string email)
    {
        Assert.False(EmailRule.IsValid(email));
    }

    [Fact]
    public void EmailRule_LocalPartOf64_IsAcceptedAnd65Refused()
    {
        Assert.True(EmailRule.IsValid(new string('a', 64) + "@example.com"));
        Assert.False(EmailRule.IsValid(new string('a', 65) + "@example.com"));
    }

    [Fact]
    public void EmailRule_LocalPartLength_CountsUtf8Octets()
    {
        // 32 two-octet letters are 64 octets; one more is 66.
        Assert.True(EmailRule.IsValid(new string('ü', 32) + "@example.com"));
        Assert.False(EmailRule.IsValid(new string('ü', 33) + "@example.com"));
    }

    [Fact]
    public void EmailRule_LabelOf63_IsAcceptedAnd64Refused()
    {
        Assert.True(EmailRule.IsValid("a@" + new string('d', 63) + ".com"));
        Assert.False(EmailRule.IsValid("a@" + new string('d', 64) + ".com"));
    }

    [Fact]
    public void EmailRule_TotalOf254_IsAcceptedAnd255Refused()
    {
        var domain254 = string.Join('.', Enumerable.Repeat(new string('d', 61), 4)) + ".co"; // 4*61 + 3 dots + 3
        var at254 = new string('a', 254 - 1 - domain254.Length) + "@" + domain254;
        var at255 = "b" + at254;
        Assert.Equal(254, at254.Length);

        Assert.True(EmailRule.IsValid(at254));
        Assert.False(EmailRule.IsValid(at255));
    }

    [Fact]
    public void EmailRule_LoneSurrogate_IsRefused()
    {
        // Built in code: attribute arguments are stored as UTF-8, which turns a lone surrogate into U+FFFD.
        Assert.False(EmailRule.IsValid("a" + (char)0xD800 + "@example.com"));
        Assert.False(EmailRule.IsValid("a@exa" + (char)0xDC00 + "mple.com"));
    }

    [Fact]
    public void EmailRule_InvalidUtf8_IsRefused()
    {
        Assert.False(EmailRule.IsValid([(byte)'a', 0xC3, (byte)'@', (byte)'x', (byte)'.', (byte)'d', (byte)'e']));
        Assert.False(EmailRule.IsValid([(byte)'a', (byte)'@', (byte)'x', 0xFF, (byte)'.', (byte)'d', (byte)'e']));
    }
}
