package io.voyager.bdk.install;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * A module that makes an image, as its pom says (jib.skip=false, and its image properties over the
 * root pom's defaults). Read from the poms, so a service module added later is checked as soon as
 * it makes an image.
 */
record ImageModule(String artifactId, String repository, String name, String tag, String user, String mainClass,
    List<Integer> ports) {

  /** voyager/bdk-xds-server:0.1.0 */
  String reference() {
    return repository + "/" + name + ":" + tag;
  }

  boolean java() {
    return mainClass != null;
  }

  /** A binary built elsewhere (images/envoy, images/nats-server) on the minimal base: /usr/local/bin/{@link #binary()}. */
  boolean binaryImage() {
    return artifactId.startsWith("images/");
  }

  /** envoy, nats-server: the binary a {@link #binaryImage()} carries. */
  String binary() {
    return artifactId.substring(artifactId.indexOf('/') + 1);
  }

  /** The Python book runtime. */
  boolean python() {
    return !java() && !binaryImage();
  }

  Path tarball() {
    return Project.imagesDir().resolve(name + ".tar");
  }

  static List<ImageModule> all() {
    Path root = Project.root();
    Map<String, String> defaults = properties(root.resolve("pom.xml"));
    List<ImageModule> modules = new ArrayList<>();
    for (String module : modules(root.resolve("pom.xml"))) {
      Map<String, String> own = properties(root.resolve(module).resolve("pom.xml"));
      if (!"false".equals(own.get("jib.skip"))) {
        continue;
      }
      Map<String, String> p = new LinkedHashMap<>(defaults);
      p.putAll(own);
      String name = p.get("bdk.image.name").replace("${project.artifactId}", module);
      String portList = p.getOrDefault("jib.container.ports", "");
      List<Integer> ports = portList.isBlank() ? List.of()
          : Arrays.stream(portList.split(",")).map(String::trim).map(Integer::valueOf).toList();
      modules.add(new ImageModule(module, p.get("bdk.image.repository"), name, p.get("bdk.image.tag"),
          p.get("bdk.image.user"), own.get("jib.container.mainClass"), ports));
    }
    return modules;
  }

  private static List<String> modules(Path pom) {
    List<String> out = new ArrayList<>();
    Element project = parse(pom);
    for (Element modules : children(project, "modules")) {
      for (Element module : children(modules, "module")) {
        out.add(module.getTextContent().trim());
      }
    }
    return out;
  }

  private static Map<String, String> properties(Path pom) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Element properties : children(parse(pom), "properties")) {
      for (Node n = properties.getFirstChild(); n != null; n = n.getNextSibling()) {
        if (n instanceof Element e) {
          out.put(e.getTagName(), e.getTextContent().trim());
        }
      }
    }
    return out;
  }

  private static List<Element> children(Element parent, String tag) {
    List<Element> out = new ArrayList<>();
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(tag)) {
        out.add(e);
      }
    }
    return out;
  }

  private static Element parse(Path pom) {
    try {
      var factory = DocumentBuilderFactory.newInstance();
      factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      return factory.newDocumentBuilder().parse(Files.newInputStream(pom)).getDocumentElement();
    } catch (IOException | javax.xml.parsers.ParserConfigurationException | org.xml.sax.SAXException e) {
      throw new IllegalStateException("cannot read " + pom + ": " + e.getMessage(), e);
    }
  }
}
