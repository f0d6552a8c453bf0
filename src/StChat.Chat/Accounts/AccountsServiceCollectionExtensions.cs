using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace StChat.Chat.Accounts;

internal static class AccountsServiceCollectionExtensions
{
    // ASP.NET Core logs every request's URL with its query string ("Request starting ... ?access_token=...") in this
    // category. Tokens must never reach a log, whatever level the configuration asks for, so it stays at Warning.
    private const string RequestLogCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    // Accounts, sessions and the StChatSession authentication scheme; called by AddStChatChat.
    public static IServiceCollection AddStChatAccounts(this IServiceCollection services)
    {
        services.TryAddSingleton<AccountStore>();
        services.TryAddSingleton<SessionStore>();
        services.TryAddSingleton<Passwords>();
        services.TryAddSingleton<LoginThrottle>();
        services.TryAddSingleton<AccountEndpoints>();
        services.AddAuthentication(AccountUser.Scheme)
            .AddScheme<AuthenticationSchemeOptions, SessionAuthenticationHandler>(AccountUser.Scheme, configureOptions: null);
        services.Configure<JsonOptions>(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, AccountJsonContext.Default));
        services.AddLogging(logging => logging.AddFilter(RequestLogCategory, LogLevel.Warning));
        return services;
    }
}
