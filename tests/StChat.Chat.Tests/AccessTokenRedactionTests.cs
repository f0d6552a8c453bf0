using StChat.Chat.Accounts;
using Xunit;

namespace StChat.Chat.Tests;

// Taking ?access_token= out of a query string: found as HttpRequest.Query would find it, and nothing of it left.
public sealed class AccessTokenRedactionTests
{
    [Theory]
    [InlineData("", null)]
    [InlineData("?name=Ann&after=3", null)]
    [InlineData("?tokens=1", null)]
    [InlineData("?access_tokenx=abc", null)]
    public void A_query_without_an_access_token_is_left_alone(string query, string? expected)
    {
        Assert.Equal(expected, AccessTokenRedactingServer.Take(query)?.Token);
    }

    [Theory]
    [InlineData("?access_token=abc-_1", "", "abc-_1")]
    [InlineData("?after=3&access_token=abc&name=x", "?after=3&name=x", "abc")]
    [InlineData("?ACCESS_TOKEN=abc&after=0", "?after=0", "abc")]
    [InlineData("?access%5Ftoken=abc", "", "abc")]
    [InlineData("?access_token=a%2Bb%3D", "", "a+b=")]
    [InlineData("?access_token=", "", "")]
    [InlineData("?access_token", "", "")]
    [InlineData("?access_token=one&access_token=two", "", "one,two")]
    [InlineData("?a=1&&access_token=abc", "?a=1", "abc")]
    public void An_access_token_is_taken_out_of_the_query_in_every_spelling(string query, string rest, string token)
    {
        var taken = AccessTokenRedactingServer.Take(query);
        Assert.NotNull(taken);
        Assert.Equal(rest, taken.Value.Query);
        Assert.Equal(token, taken.Value.Token);
    }
}
