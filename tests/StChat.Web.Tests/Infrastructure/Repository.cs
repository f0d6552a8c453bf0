namespace StChat.Web.Tests.Infrastructure;

// Paths inside the checkout the tests run from.
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    // The server executable built in the same configuration as this test assembly (bin/<Configuration>/<tfm>/).
    public static string ServerDll
    {
        get
        {
            var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var path = Path.Combine(Root, "src", "StChat.Server", "bin", output.Parent!.Name, output.Name, "StChat.Server.dll");
            return File.Exists(path)
                ? path
                : throw new InvalidOperationException($"{path} does not exist; build src/StChat.Server in the same configuration as the tests.");
        }
    }

    // Screenshots and logs worth keeping after a run; .stchat/ is ignored by git.
    public static string ArtifactsDirectory
    {
        get
        {
            var path = Path.Combine(Root, ".stchat", "test-results", "StChat.Web.Tests");
            Directory.CreateDirectory(path);
            return path;
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StChat.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No StChat.sln above {AppContext.BaseDirectory}.");
    }
}
