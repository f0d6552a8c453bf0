using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace StChat.Chat.Accounts;

internal static class AccountsServiceCollectionExtensions
{
    // Accounts, sessions and the StChatSession authentication scheme; called by AddStChatChat.
    public static IServiceCollection AddStChatAccounts(this IServiceCollection services)
    {
        services.TryAddSingleton<AccountStore>();
        services.TryAddSingleton<SessionStore>();
        services.TryAddSingleton<Passwords>();
        services.TryAddSingleton<LoginThrottle>();
        services.TryAddSingleton<AccountEndpoints>();
        services.AddHostedService<SessionSweeper>();
        services.AddAuthentication(AccountUser.Scheme)
            .AddScheme<AuthenticationSchemeOptions, SessionAuthenticationHandler>(AccountUser.Scheme, configureOptions: null);
        services.Configure<JsonOptions>(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, AccountJsonContext.Default));
        RedactAccessTokens(services);
        return services;
    }

    // ASP.NET Core logs every request's URL with its query string ("Request starting ... ?access_token=...") before any
    // middleware runs, at a level the configuration decides, per logging provider too. So tokens are taken out of URLs
    // where requests come in, by wrapping the web server that the host builder registered.
    private static void RedactAccessTokens(IServiceCollection services)
    {
        var server = services.LastOrDefault(d => d.ServiceType == typeof(IServer) && !d.IsKeyedService)
            ?? throw new InvalidOperationException(
                "No web server is registered yet: call AddStChatChat on a WebApplicationBuilder's services (after UseKestrel), "
                + "so that ?access_token= can be kept out of logged URLs.");
        services.Remove(server);
        services.AddSingleton<IServer>(provider => new AccessTokenRedactingServer(server switch
        {
            { ImplementationInstance: IServer instance } => instance,
            { ImplementationFactory: { } factory } => (IServer)factory(provider),
            _ => (IServer)ActivatorUtilities.CreateInstance(provider, server.ImplementationType!),
        }));
    }
}
