namespace StChat.Chat.Accounts;

// The ?access_token= of a request, held as a request feature once AccessTokenRedactingServer has taken it out of the
// URL. Null when the request had none.
internal sealed record QueryAccessToken(string Value)
{
    public const string Parameter = "access_token";

    public static string? Of(Microsoft.AspNetCore.Http.HttpContext context) => context.Features.Get<QueryAccessToken>()?.Value;
}
