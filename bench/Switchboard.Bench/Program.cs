using Switchboard.Bench;
using Switchboard.Bench.Suites;

// dotnet run -c Release --project bench/Switchboard.Bench -- gateway [--seconds 10] [--connections 64] [--rate 500] [--rounds 3] [--upstream nginx|simulator] [--no-portkey] [--out file.md]
var options = BenchOptions.Parse(args);
return options.Suite switch
{
    "gateway" => await GatewaySuite.RunAsync(options),
    "scenarios" => await ScenarioSuite.RunAsync(options),
    "cascade" => await CascadeSuite.RunAsync(options),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Switchboard.Bench gateway|scenarios|cascade [--seconds N] [--connections N] [--rate N] [--rounds N] [--streams N] [--upstream nginx|simulator] [--no-portkey] [--out FILE]");
    return 2;
}
